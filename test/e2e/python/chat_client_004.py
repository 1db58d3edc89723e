import socketio
import requests

class ChatClient:
    def __init__(self, base_url="http://localhost:8000"):
        self.base_url = base_url
        self.api_url = f"{base_url}/api"
        self.token = None
        self.sio = socketio.Client()
        
    def login(self, email, name):
        response = requests.post(f"{self.api_url}/auth/login", {
            'email': email,
            'name': name
        })
        
        if response.status_code == 200:
            data = response.json()
            self.token = data['access_token']
            return True
        return False
    
    def connect_socket(self):
        self.sio.connect(self.base_url, auth={'token': self.token})
        
        @self.sio.on('new_message')
        def on_new_message(data):
            print(f"New message: {data['message']} from {data['sender_name']}")
            
        @self.sio.on('user_online')
        def on_user_online(data):
            print(f"User {data['email']} came online")
    
    def send_message(self, to_email, message):
        self.sio.emit('send_message', {
            'to_email': to_email,
            'message': message,
            'message_type': 'text'
        })
    
    def get_conversations(self):
        headers = {'Authorization': f'Bearer {self.token}'}
        response = requests.get(f"{self.api_url}/conversations", headers=headers)
        return response.json() if response.status_code == 200 else None
